// Passkeys (WebAuthn): the account page's "Add a passkey" button and the sign-in page's
// "Sign in with a passkey" button. The server's options go through the browser's own JSON
// parsers (PublicKeyCredential.parse*OptionsFromJSON) and the answer back through toJSON(), so
// no base64 handling lives here. Listeners are on the document, so the buttons work however the
// page was reached (full load or client-side navigation: a module runs once per document).

const status = (text, isError = false) => {
  const el = document.getElementById('passkey-status');
  if (el) {
    el.textContent = text;
    el.className = isError ? 'error' : '';
  }
};

// webauthn-rs leaves no nulls in its options today; strip any so the browser's strict
// dictionary parsing never trips on one.
const withoutNulls = (value) => {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
  }
  return value;
};

async function post(url, body, csrf) {
  const headers = { 'content-type': 'application/json' };
  if (csrf) headers['x-csrf-token'] = csrf;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body ?? {}), credentials: 'same-origin' });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || `HTTP ${response.status}`);
  return answer;
}

function supported() {
  if (window.PublicKeyCredential?.parseCreationOptionsFromJSON) return true;
  status('このブラウザはパスキーに対応していません。This browser does not support passkeys.', true);
  return false;
}

async function addPasskey(button) {
  if (!supported()) return;
  const csrf = button.dataset.csrf;
  const name = document.getElementById('passkey-name')?.value ?? '';
  status('認証器を確認しています… Waiting for your authenticator…');
  const { ceremony, options } = await post('/api/passkeys/register/begin', {}, csrf);
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(withoutNulls(options.publicKey));
  const credential = await navigator.credentials.create({ publicKey });
  await post('/api/passkeys/register/finish', { ceremony, name, credential: credential.toJSON() }, csrf);
  status('パスキーを登録しました。Passkey added.');
  location.reload();
}

async function signIn(form) {
  if (!supported()) return;
  const email = form.querySelector('input[name=email]').value;
  const password = form.querySelector('input[name=password]').value;
  if (!email || !password) {
    status('メールとパスワードを入力してください。Enter your e-mail and password first.', true);
    return;
  }
  status('認証器を確認しています… Waiting for your authenticator…');
  const { ceremony, options } = await post('/api/passkeys/login/begin', { email, password });
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(withoutNulls(options.publicKey));
  const credential = await navigator.credentials.get({ publicKey });
  const { redirect } = await post('/api/passkeys/login/finish', { ceremony, email, credential: credential.toJSON() });
  location.assign(redirect || '/');
}

document.addEventListener('click', (event) => {
  const add = event.target.closest?.('#passkey-add');
  const login = event.target.closest?.('#passkey-login');
  if (!add && !login) return;
  event.preventDefault();
  const run = add ? addPasskey(add) : signIn(login.closest('form'));
  run.catch((e) => {
    // NotAllowedError: the user cancelled, or no passkey of this site is on the device.
    const text = e.name === 'NotAllowedError' ? 'キャンセルされました。Cancelled or no passkey for this site on this device.' : e.message;
    status(text, true);
  });
});
