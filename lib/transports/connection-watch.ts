import type { IncomingMessage, ServerResponse } from 'http';

/**
 * Calls `onGone` once when the client's connection goes away, and returns a function that stops
 * watching. A response still queued behind another one on a keep-alive connection (pipelining)
 * has no socket yet, and Node before 26 never emits its 'close': the socket's own is watched then.
 */
export function watchConnection(
  req: IncomingMessage,
  res: ServerResponse,
  onGone: () => void,
): () => void {
  let watching = true;
  const gone = () => {
    if (!watching) return;
    unwatch();
    onGone();
  };
  const socket = res.socket ? undefined : req.socket;
  const unwatch = () => {
    watching = false;
    res.removeListener('close', gone);
    socket?.removeListener('close', gone);
  };
  res.once('close', gone);
  socket?.once('close', gone);
  if (res.destroyed || (socket && socket.destroyed)) gone();
  return unwatch;
}
