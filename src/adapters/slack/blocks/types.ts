export type { KnownBlock, View } from '@slack/types';
