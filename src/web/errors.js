// Errors for people. The API answers with one lower-case line ("wrong password", "unknown time zone …");
// the page shows it as a sentence, beside the field it concerns when there is one (else on the form's
// own error line), and takes it away at the next action: the next submit, or an edit of that field.
import { ApiError, el } from './api.js';

// The API's internal spellings of a few fields, in the words of the form.
const REWRITES = [
  [/^notify webhookUrl\b/, 'the webhook URL'],
  [/^notify smtp\.url\b:?/, 'the SMTP server URL'],
  [/^notify smtp\.to\b/, 'the To field'],
  [/^schedule time\b/, 'the start time'],
  [/^schedule day of month\b/, 'the day of the month'],
  [/^schedule weekday\b/, 'the day of the week'],
  [/ \(web\)$/, ' on this page'],
];

/** "wrong password" → "Wrong password." A network failure (no answer at all) says so. */
export function humanMessage(error) {
  if (error instanceof TypeError) return 'The Lifeboat server did not answer. Check the connection, then try again.';
  if (error instanceof ApiError && error.status === 401 && error.message === 'sign in first') return 'Your session has ended. Sign in again.';
  let text = String(error instanceof Error ? error.message : error).trim();
  for (const [pattern, words] of REWRITES) text = text.replace(pattern, words);
  if (!text) return '';
  text = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}

const generalLine = (form) => form.querySelector(':scope p.error');

function unmark(input) {
  input.removeAttribute('aria-invalid');
  const described = input.dataset.describedBefore;
  if (described) input.setAttribute('aria-describedby', described);
  else input.removeAttribute('aria-describedby');
  delete input.dataset.describedBefore;
  document.getElementById(`${input.id}-error`)?.remove();
}

/** Removes every error the form shows. */
export function clearFormErrors(form) {
  for (const input of form.querySelectorAll('[aria-invalid="true"]')) unmark(input);
  const line = generalLine(form);
  if (line) line.textContent = '';
}

/**
 * Shows `error` in `form`, clearing what it showed before: beside the first field of `fields`
 * ([pattern, input id] pairs) whose pattern the message matches and that the user can edit, else on
 * the form's error line. A field's error goes when the field is edited.
 */
export function showFormError(form, error, fields = []) {
  clearFormErrors(form);
  const text = humanMessage(error);
  const input = fields
    .filter(([pattern]) => pattern.test(text))
    .map(([, id]) => document.getElementById(id))
    .find((field) => field && !field.disabled && !field.closest('[hidden]'));
  if (!input) {
    generalLine(form).textContent = text;
    return;
  }
  const note = el('p', { class: 'field-error', id: `${input.id}-error`, role: 'alert' }, text);
  input.dataset.describedBefore = input.getAttribute('aria-describedby') ?? '';
  input.setAttribute('aria-describedby', [input.dataset.describedBefore, note.id].filter(Boolean).join(' '));
  input.setAttribute('aria-invalid', 'true');
  (input.closest('label.check') ?? input).after(note);
  input.addEventListener('input', () => unmark(input), { once: true });
}
