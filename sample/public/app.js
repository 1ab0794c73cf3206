// The page's script, kept out of index.html so the page works under a strict CSP.
'use strict';
(() => {
  const $ = (selector) => document.querySelector(selector);

  /** Shows a failed call once: both the `sijax:error` event and the rejected handle report it. */
  function showError(id, name, error) {
    if (document.querySelector(`#errors [data-call="${CSS.escape(id)}"]`)) return;
    const item = document.createElement('li');
    item.dataset.call = id;
    item.textContent = `${name} failed: ${error.message}`;
    $('#errors').append(item);
  }

  document.addEventListener('sijax:error', (event) => {
    const { error, call, id } = event.detail;
    showError(id ?? '', call ?? 'Sijax', error);
    // Shown in the page: keep it out of the console.
    event.preventDefault();
  });

  /** Disables `button` while the call runs. */
  function busy(button, call) {
    button.disabled = true;
    const enable = () => (button.disabled = false);
    call.then(enable, enable);
    return call;
  }

  $('#start').addEventListener('click', (event) => {
    busy(event.target, sjxComet.request('run', [10]));
  });

  $('#hello').addEventListener('click', () => {
    Sijax.request('say_hello', [$('#hello-name').value]);
  });

  $('#countdown').addEventListener('click', (event) => {
    busy(event.target, sjxComet.request('count_down', [5]));
  });

  $('#profile').addEventListener('submit', (event) => {
    event.preventDefault();
    Sijax.request('save_profile', [Sijax.getFormValues('#profile')]);
  });

  $('#fail').addEventListener('click', (event) => {
    const call = busy(event.target, sjxComet.request('failing'));
    call.catch((error) => showError(call.id, 'failing', error));
  });
})();
