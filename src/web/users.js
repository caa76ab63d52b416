// The Users and roles view, for admins: users with their role (changed in place), reset password and
// remove; roles with their resources (add, change, remove). A new user starts on the least privilege,
// names are checked as they are typed (account-name-rule.js), and every refusal shows the API's reason
// as a sentence (errors.js), as the other views do: a form's beside the field it concerns.
import { api, el } from './api.js';
import { checkNameAsTyped } from './account-name-rule.js';
import { clearFormErrors, humanMessage as message, showFormError } from './errors.js';

const $ = (id) => document.getElementById(id);
const RESOURCE_LABELS = { backup: 'Backups', rollback: 'Rollback', admin: 'Admin' };

// Which field a refusal of the server concerns ([pattern of its sentence, field id]), first match first.
const USER_FIELDS = [[/password/i, 'user-password'], [/user ?name|^User "/i, 'user-name'], [/role/i, 'user-role']];
const ROLE_FIELDS = [[/resource/i, 'role-resource-backup'], [/name|built-in/i, 'role-name']];
const PASSWORD_FIELDS = [[/password/i, 'password-new']];

/** As the server's default: roles without admin first, then fewer resources, then by name. */
function defaultRole(roles) {
  const rank = (r) => (r.resources.includes('admin') ? 100 : 0) + r.resources.length;
  return [...roles].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name))[0]?.name;
}

/** "restorer (Backups, Rollback)": what a role allows, where it is chosen. */
const roleLabel = (role) => `${role.name} (${role.resources.map((r) => RESOURCE_LABELS[r] || r).join(', ')})`;

export function createUsersView({ currentUser }) {
  let roles = [];
  let passwordUser = null;
  checkNameAsTyped($('user-name'), $('user-name-hint'), 'user');
  const checkRoleName = checkNameAsTyped($('role-name'), $('role-name-hint'), 'role');

  async function changeRole(username, select, previous) {
    $('user-list-error').textContent = '';
    try {
      await api('PATCH', `api/users/${encodeURIComponent(username)}`, { role: select.value });
      select.dataset.saved = select.value;
      $('user-list-error').textContent = '';
      select.closest('tr').querySelector('.saved-mark').textContent = 'Saved';
    } catch (error) {
      select.value = previous;
      $('user-list-error').textContent = message(error);
    }
  }

  // Removing asks first, in a dialog of the page's own (never the browser's confirm box).
  let removing = '';
  function removeUser(username) {
    removing = username;
    $('remove-user-what').textContent = `Remove the user ${username}? Their sessions end at once.`;
    $('remove-user-dialog').showModal();
  }

  $('remove-user-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('remove-user-dialog').close();
    try {
      await api('DELETE', `api/users/${encodeURIComponent(removing)}`);
      $('user-list-error').textContent = '';
      await load();
    } catch (error) {
      $('user-list-error').textContent = message(error);
    }
  });

  function openPassword(username) {
    passwordUser = username;
    $('password-title').textContent = `Reset the password of ${username}`;
    $('password-new').value = '';
    clearFormErrors($('password-form'));
    $('password-dialog').showModal();
  }

  function userRow(u) {
    const select = el('select', { 'aria-label': `Role of ${u.username}`, 'data-saved': u.role }, ...roles.map((r) => el('option', { value: r.name, selected: r.name === u.role }, r.name)));
    select.addEventListener('change', () => changeRole(u.username, select, select.dataset.saved));
    const self = u.username === currentUser()?.username;
    return el('tr', { 'data-user': u.username },
      el('td', {}, el('strong', {}, u.username), self ? el('span', { class: 'muted' }, ' (you)') : null),
      el('td', {}, select, el('span', { class: 'saved-mark', role: 'status' })),
      el('td', { class: 'row-actions' },
        el('button', { type: 'button', class: 'link', onclick: () => openPassword(u.username) }, el('span', {}, 'Reset password'), el('span', { class: 'sr-only' }, ` of ${u.username}`)),
        self ? null : el('button', { type: 'button', class: 'link danger-link', onclick: () => removeUser(u.username) }, el('span', {}, 'Remove'), el('span', { class: 'sr-only' }, ` ${u.username}`))));
  }

  function editRole(role) {
    $('role-form-title').textContent = `Change the role ${role.name}`;
    $('role-name').value = role.name;
    checkRoleName(); // a rule shown for what was typed before no longer applies
    for (const box of $('role-form').querySelectorAll('input[name=resource]')) box.checked = role.resources.includes(box.value);
    clearFormErrors($('role-form'));
    $('role-name').focus();
  }

  async function removeRole(name) {
    try {
      await api('DELETE', `api/roles/${encodeURIComponent(name)}`);
      $('role-list-error').textContent = '';
      await load();
    } catch (error) {
      $('role-list-error').textContent = message(error);
    }
  }

  function roleRow(r) {
    const builtIn = r.name === 'admin';
    return el('tr', { 'data-role': r.name },
      el('td', {}, el('strong', {}, r.name), builtIn ? el('span', { class: 'muted' }, ' (built in)') : null),
      el('td', {}, ...r.resources.map((res) => el('span', { class: 'badge' }, RESOURCE_LABELS[res] || res))),
      el('td', { class: 'row-actions' }, builtIn ? null : [
        el('button', { type: 'button', class: 'link', onclick: () => editRole(r) }, el('span', {}, 'Edit'), el('span', { class: 'sr-only' }, ` role ${r.name}`)),
        el('button', { type: 'button', class: 'link danger-link', onclick: () => removeRole(r.name) }, el('span', {}, 'Remove'), el('span', { class: 'sr-only' }, ` role ${r.name}`)),
      ]));
  }

  async function load() {
    const [{ users }, loaded] = await Promise.all([api('GET', 'api/users'), api('GET', 'api/roles')]);
    roles = loaded.roles;
    $('user-table').tBodies[0].replaceChildren(...users.map(userRow));
    $('role-table').tBodies[0].replaceChildren(...roles.map(roleRow));
    // The least privilege is the default (what the form resets to), so a missed choice never makes an admin.
    const chosen = $('user-role').value;
    const fallback = defaultRole(roles);
    $('user-role').replaceChildren(...roles.map((r) => el('option', { value: r.name, selected: r.name === fallback }, roleLabel(r))));
    if (roles.some((r) => r.name === chosen)) $('user-role').value = chosen;
  }


  $('user-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', 'api/users', { username: $('user-name').value.trim(), role: $('user-role').value, password: $('user-password').value });
      event.target.reset();
      clearFormErrors(event.target);
      await load();
    } catch (error) {
      showFormError(event.target, error, USER_FIELDS);
    }
  });

  $('role-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const resources = [...event.target.querySelectorAll('input[name=resource]:checked')].map((i) => i.value);
    try {
      await api('POST', 'api/roles', { name: $('role-name').value.trim(), resources });
      clearFormErrors(event.target);
      event.target.reset();
      $('role-form-title').textContent = 'Add a role';
      await load();
    } catch (error) {
      showFormError(event.target, error, ROLE_FIELDS);
    }
  });
  $('role-reset').addEventListener('click', () => (($('role-form-title').textContent = 'Add a role'), clearFormErrors($('role-form'))));

  $('password-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('PATCH', `api/users/${encodeURIComponent(passwordUser)}`, { password: $('password-new').value });
      $('password-dialog').close();
      $('user-list-error').textContent = '';
    } catch (error) {
      showFormError($('password-form'), error, PASSWORD_FIELDS);
    }
  });

  return { load };
}
