import { $ } from './dom.js';

$('#profile').addEventListener('submit', (event) => {
  event.preventDefault();
  Sijax.request('save_profile', [Sijax.getFormValues('#profile')]);
});
