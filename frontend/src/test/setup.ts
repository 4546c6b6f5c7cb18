// jsdom lacks these; the app only needs them to exist in component tests.
if (!window.matchMedia) {
  window.matchMedia = (query: string) =>
    ({ matches: false, media: query, onchange: null, addEventListener() {}, removeEventListener() {}, addListener() {}, removeListener() {}, dispatchEvent: () => false }) as MediaQueryList;
}
afterEach(() => {
  localStorage.clear();
  sessionStorage.clear();
});
