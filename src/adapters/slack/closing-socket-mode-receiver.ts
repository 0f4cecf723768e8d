import bolt from '@slack/bolt';

const { SocketModeReceiver } = bolt;

/** Longest wait for Slack to answer our close frame; @slack/socket-mode gives up after 30 s. */
const CLOSE_WAIT_MS = 5_000;

/**
 * Bolt's Socket Mode receiver, whose stop() resolves once the WebSocket is
 * closed. Bolt 5's stop() resolves as soon as the close frame is sent, and the
 * process then exits mid-handshake: Slack sees an abnormal closure instead of
 * a clean one and may keep routing envelopes to a connection that is gone
 * during a rolling restart. (@slack/socket-mode 3 also leaves a 30 s timer
 * behind when the peer drops the socket during that handshake.)
 */
export class ClosingSocketModeReceiver extends SocketModeReceiver {
  override async stop(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const closed = new Promise<void>((resolve) => {
      this.client.once('disconnected', () => resolve());
      timer = setTimeout(resolve, CLOSE_WAIT_MS);
      timer.unref();
    });
    try {
      await super.stop();
      await closed;
    } finally {
      clearTimeout(timer);
    }
  }
}
