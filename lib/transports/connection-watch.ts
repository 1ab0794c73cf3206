import type { IncomingMessage, ServerResponse } from 'http';

/** What a watch tells, once: the client's connection went away. */
export interface ConnectionWatcher {
  connectionGone(): void;
}

/**
 * Tells `watcher` once when the client's connection goes away, until `unwatchConnection`. A
 * response still queued behind another one on a keep-alive connection (pipelining) has no socket
 * yet, and Node before 26 never emits its 'close': the socket's own is watched then. One bound
 * listener per watch, nothing else: an idle stream holds as little as it can.
 */
export function watchConnection(
  req: IncomingMessage,
  res: ServerResponse,
  watcher: ConnectionWatcher,
): () => void {
  const socket = res.socket ? undefined : req.socket;
  const gone = (): void => {
    unwatch();
    watcher.connectionGone();
  };
  const unwatch = (): void => {
    res.removeListener('close', gone);
    socket?.removeListener('close', gone);
  };
  res.on('close', gone);
  socket?.on('close', gone);
  if (res.destroyed || socket?.destroyed) gone();
  return unwatch;
}
