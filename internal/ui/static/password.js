// The show-password control and the strength meter of the hosted pages.
// Without JavaScript the pages work the same, with the rule written next to
// the field and without these two.
(function () {
  'use strict';

  // Show-password: only the input's type changes, so the password is still
  // posted with the form, and it goes back to "password" before the post
  // (the server never renders a password back either way).
  document.querySelectorAll('button[data-reveal]').forEach(function (button) {
    var input = document.getElementById(button.getAttribute('data-reveal'));
    if (!input) return;
    var set = function (show) {
      input.type = show ? 'text' : 'password';
      button.setAttribute('aria-pressed', show ? 'true' : 'false');
      button.textContent = show ? 'Hide' : 'Show';
    };
    button.hidden = false;
    button.addEventListener('click', function () {
      set(input.type === 'password');
      input.focus();
    });
    if (input.form) input.form.addEventListener('submit', function () { set(false); });
  });

  // The meter: zxcvbn-ts's score (0 to 4) of what is typed, with the
  // user's own name and address counted as known words.
  var z = window.zxcvbnts;
  if (!z || !z.core || !z['language-common'] || !z['language-en']) return;
  var factory = null;
  var estimator = function () {
    if (!factory) {
      var common = z['language-common'], en = z['language-en'];
      factory = new z.core.ZxcvbnFactory({
        dictionary: Object.assign({}, common.dictionary, en.dictionary),
        graphs: common.adjacencyGraphs,
        translations: en.translations
      });
    }
    return factory;
  };
  var labels = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'];
  document.querySelectorAll('[data-meter-for]').forEach(function (box) {
    var input = document.getElementById(box.getAttribute('data-meter-for'));
    if (!input) return;
    var bar = box.querySelector('meter'), label = box.querySelector('.meter-label');
    var known = function () {
      var words = (box.getAttribute('data-user-inputs') || '').split(' ');
      ['f-email', 'f-username', 'f-givenName', 'f-surname'].forEach(function (id) {
        var el = document.getElementById(id);
        if (el && el.value) words.push(el.value);
      });
      return words.filter(function (w) { return w !== ''; });
    };
    box.hidden = false;
    input.addEventListener('input', function () {
      if (input.value === '') {
        bar.value = 0;
        label.textContent = '';
        box.removeAttribute('data-score');
        return;
      }
      var result = estimator().check(input.value, known());
      bar.value = result.score;
      var text = 'Strength: ' + labels[result.score];
      if (result.feedback && result.feedback.warning) text += '. ' + result.feedback.warning;
      label.textContent = text;
      box.setAttribute('data-score', String(result.score));
    });
  });
})();
