// The key prompt (login.html), which the gateway sends as the body of its 401
// for the console page when it needs an API key: the key is traded for an
// HttpOnly cookie at POST /api/login, then the console loads. The key itself
// is never stored by the page nor put in a URL.
const form = document.querySelector('[data-testid="login-form"]');
const error = document.querySelector('[data-testid="login-error"]');

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  error.hidden = true;
  const key = form.elements.key.value;
  try {
    const response = await fetch('/api/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ key }),
    });
    if (response.ok) {
      location.replace('/');
      return;
    }
    error.textContent = response.status === 401 ? 'That key is not valid for this gateway.' : `The gateway answered ${response.status}.`;
  } catch (err) {
    error.textContent = `Cannot reach the gateway (${err.message}).`;
  }
  error.hidden = false;
});
