import { offboardHolder, type OffboardDeps } from '../../../app/offboard.js';
import type { BoltApp } from '../create-bolt-app.js';

/** user_change: a deactivated account (deleted: true) offboards its certificates. The sweep is the backstop. */
export function registerOffboarding(app: BoltApp, deps: OffboardDeps): void {
  app.event('user_change', async ({ event }) => {
    if (event.user.deleted !== true) return;
    await offboardHolder(deps, event.user.id, 'user_change');
  });
}
