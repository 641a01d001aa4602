// Light and dark: the system's choice (prefers-color-scheme) unless the user
// picks one with the toggle; the pick is remembered in localStorage.
const KEY = 'shardswarm-theme';
const NEXT = { auto: 'dark', dark: 'light', light: 'auto' };

export function setUpTheme(button) {
  let theme = read();
  const apply = () => {
    if (theme === 'auto') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    button.textContent = `Theme: ${theme}`;
    button.setAttribute('aria-label', `Colour theme: ${theme}; press for ${NEXT[theme]}`);
  };
  button.addEventListener('click', () => {
    theme = NEXT[theme];
    try {
      localStorage.setItem(KEY, theme);
    } catch {
      // storage can be off; the choice then lasts until reload
    }
    apply();
  });
  apply();
}

function read() {
  try {
    const t = localStorage.getItem(KEY);
    return t in NEXT ? t : 'auto';
  } catch {
    return 'auto';
  }
}
