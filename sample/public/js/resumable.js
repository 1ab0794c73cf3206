import { $ } from './dom.js';
import { errorSlot } from './errors.js';

const errors = errorSlot($('#card-resume'));
/** The running call's id, kept for this tab: a reload attaches to the call again. */
const KEY = 'sample.resumable-call';

/** The handle of the call this card follows, and the reconnects seen since it started. */
let current;
let reconnects = 0;

function showReconnects() {
  $('#resume-reconnects').textContent =
    reconnects === 0 ? 'No reconnects' : `${reconnects} reconnect${reconnects === 1 ? '' : 's'}`;
}

function running(on) {
  $('#resume-start').disabled = on;
  $('#resume-cancel').disabled = !on;
  $('#resume-drop').disabled = !on;
}

/** Follows `call` (started here, or attached after a reload) until it ends, however it ends. */
function follow(call, how) {
  current = call;
  sessionStorage.setItem(KEY, call.id);
  reconnects = 0;
  showReconnects();
  running(true);
  $('#resume-call').textContent = `${how}: call ${call.id.slice(0, 8)}…`;
  call
    .catch((error) => {
      // Other errors (a call gone from the server's log, 410) show in the card, through onError.
      if (error.name === 'AbortError') $('#resume-status').textContent = 'Cancelled';
      else $('#resume-status').textContent = 'Stopped';
    })
    .finally(() => {
      if (current !== call) return;
      current = undefined;
      sessionStorage.removeItem(KEY);
      running(false);
    });
}

$('#resume-start').addEventListener('click', () => {
  errors.clear();
  const options = { transport: 'fetch', onError: errors.onError };
  follow(sjxComet.request('resumable_task', [12], options), 'Started');
});

// Cancel sends an explicit cancel: unlike a dropped connection, it stops the handler at once.
$('#resume-cancel').addEventListener('click', () => current?.abort());

// The server drops this browser's streams, as a network would; the client reconnects by itself.
$('#resume-drop').addEventListener('click', () => {
  errors.clear();
  Sijax.request('drop_connection', [], { onError: errors.onError });
});

// A cut stream is re-posted from the last batch the page ran: nothing runs twice, nothing is lost.
document.addEventListener('sijax:reconnect', ({ detail }) => {
  if (detail.id !== current?.id) return;
  reconnects++;
  showReconnects();
  const mark = $('#resume-steps').appendChild(document.createElement('li'));
  mark.className = 'reconnect';
  mark.textContent = '↻';
  mark.title = `Reconnect ${reconnects}`;
});

// After a reload the call still runs: the server keeps it for a reader (`resume.lingerMs`).
// Attaching replays its batches from the start onto this fresh page, then follows it live.
const saved = sessionStorage.getItem(KEY);
if (saved) {
  $('#resume-status').textContent = 'Picking the task up again…';
  follow(
    Sijax.attach(saved, { transport: 'fetch', onError: errors.onError }),
    'Attached after a reload',
  );
}
