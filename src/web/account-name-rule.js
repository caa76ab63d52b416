// User and role names follow one rule on the server (letters, digits, ".", "_", "@", "-"; at most 64):
// checked here as they are typed, so a name the server would refuse is flagged at its field before any
// submit, and the form cannot be sent with it.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** User names the job history keeps for itself (RESERVED_USERNAMES on the server). */
const RESERVED_USER = ['schedule'];

/** What is wrong with `name`, in a sentence; '' when it is fine (or still empty). */
export function nameProblem(name, kind) {
  if (kind === 'user' && RESERVED_USER.includes(name.toLowerCase())) return `"${name}" is reserved: the job history uses it for scheduled runs.`;
  if (name === '' || NAME.test(name)) return '';
  const bad = [...new Set(name.replace(/[A-Za-z0-9._@-]/g, ''))].map((c) => (c === ' ' ? 'spaces' : `"${c}"`));
  const why = !/^[A-Za-z0-9]/.test(name) && bad.length === 0 ? 'it must start with a letter or digit' : `no ${bad.join(', ')}`;
  return `A ${kind} name has letters, digits, ".", "_", "@" and "-" only: ${why}.`;
}

/** Checks `input` on every keystroke, saying what is wrong in `hint` (its aria-describedby). */
export function checkNameAsTyped(input, hint, kind) {
  const check = () => {
    const problem = nameProblem(input.value.trim(), kind);
    input.setCustomValidity(problem);
    input.setAttribute('aria-invalid', problem ? 'true' : 'false');
    hint.textContent = problem;
  };
  input.addEventListener('input', check);
  input.form.addEventListener('reset', () => setTimeout(check));
  return check;
}
