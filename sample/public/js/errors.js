/** What the page says of a failed call: a refusal, or a failure with its status when it has one. */
export function describe(error) {
  if (error.status === 403) return `Refused (403): ${error.message}`;
  return error.status ? `Failed (${error.status}): ${error.message}` : `Failed: ${error.message}`;
}

/**
 * The error slot of a card (`.card-error`), beside the controls that start its calls. Pass
 * `onError` in a call's options: the call's error shows there, and returning false keeps it out of
 * the console (the page has shown it). `clear()` before the card's next try.
 */
export function errorSlot(card) {
  const slot = card.querySelector('.card-error');
  return {
    onError(error) {
      slot.textContent = describe(error);
      slot.hidden = false;
      return false;
    },
    clear() {
      slot.textContent = '';
      slot.hidden = true;
    },
  };
}
