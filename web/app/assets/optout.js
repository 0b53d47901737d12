// The opt-out page: a local patient ID typed here is turned into its keyed pseudonym with the
// project key imported on the upload page (kept in this browser). The ID inputs have no name:
// only the hidden pseudonym field is submitted.
import init, { patientPseudonym } from '/sdk/kakou.js';

const org = document.getElementById('optout-app').dataset.org;
const key = localStorage.getItem(`kakou:${org}:projectKey`);
const ready = init({ module_or_path: '/sdk/kakou_bg.wasm' });

function wire(formId, localId, hidden) {
  const form = document.getElementById(formId);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = document.getElementById('optout-error');
    if (!key) { error.textContent = 'プロジェクト鍵がありません。Import the project key on the upload page first.'; return; }
    await ready;
    const id = document.getElementById(localId).value.trim();
    if (!id) return;
    document.getElementById(hidden).value = patientPseudonym(key, id);
    document.getElementById(localId).value = '';
    form.submit();
  });
}
wire('optout-form', 'optout-local-id', 'optout-pseudonym');
wire('deletion-form', 'deletion-local-id', 'deletion-subject');
