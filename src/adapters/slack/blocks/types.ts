export type { Button, KnownBlock, View } from '@slack/types';
