export { SlackEmulator } from './slack-emulator.js';
export type { AddUserOptions, SlackEmulatorOptions, CallRecord, DeliveryOutcome, DeliveryRecord, BotRef, WaitOptions } from './slack-emulator.js';
export { UserDriver, Conversation } from './driver.js';
export type { SlashResponse, ClickResult, SubmitResult } from './driver.js';
export { validateBlocks, validateView, validateMessage } from './block-kit.js';
export type { Surface } from './block-kit.js';
export { slackSignature } from './signing.js';
export type { FaultSpec, RateLimit } from './faults.js';
export type { Message, Ephemeral, View, SlackFile, SlackUser, Channel } from './workspace.js';
