export type { IntakeFlow as FlowContext } from '../../../app/dm-intake.js';
