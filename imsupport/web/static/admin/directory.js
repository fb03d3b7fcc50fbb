// The directory page (/admin/directory): a delete asks first. Without
// this script the button deletes at once (the server needs no script).
"use strict";

(function () {
  for (const button of document.querySelectorAll('button[name="action"][value="delete"]')) {
    button.addEventListener("click", (event) => {
      const form = button.form;
      const key = form && (form.querySelector('input[type="hidden"][name="jid"]')
        || form.querySelector('input[type="hidden"][name="group"]')
        || form.querySelector('input[type="hidden"][name="id"]')
        || form.querySelector('input[type="hidden"][name="node"]'));
      const what = key ? key.value : "this entry";
      if (!window.confirm(`Delete ${what}? This cannot be undone.`)) {
        event.preventDefault();
      }
    });
  }
})();
