/* global document, window, location, setTimeout, HTMLFormElement, HTMLSelectElement */
// Progressive enhancement only (the pages work without it): confirm dangerous forms, auto-submit pickers,
// and refresh the runs page while a run is going on.
'use strict';
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm))
    event.preventDefault();
});
document.addEventListener('change', (event) => {
  const select = event.target;
  if (select instanceof HTMLSelectElement && select.hasAttribute('data-autosubmit') && select.form)
    select.form.submit();
});
if (document.querySelector('.badge-running') && location.pathname.startsWith('/runs')) {
  setTimeout(() => location.reload(), 3000);
}
