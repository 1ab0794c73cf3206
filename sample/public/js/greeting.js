import { $, busy } from './dom.js';

$('#hello').addEventListener('click', () => {
  Sijax.request('say_hello', [$('#hello-name').value]);
});

$('#countdown').addEventListener('click', (event) => {
  busy(event.target, sjxComet.request('count_down', [5]));
});
