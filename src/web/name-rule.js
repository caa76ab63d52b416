// The backup name rule, shown in the create dialog while the user types: Magento's filter, which the
// server applies to every name (filterBackupName in src/repository/naming.ts; a unit test holds the two
// to the same results). The page only previews; the server still decides. The stored name has `_` for
// each run of spaces and no other `_`, so the page shows it with spaces: as typed, less what was dropped.

const MAX_LENGTH = 50;

/** "v2.4.7 upgrade! café" → "v247_upgrade_caf", as the server will store it. */
export function filterBackupName(raw) {
  return raw
    .replace(/[^0-9a-zA-Z ]/g, '')
    .trim()
    .replace(/ +/g, '_')
    .slice(0, MAX_LENGTH);
}

/** A stored name as the page shows it: "v247_upgrade_caf" → "v247 upgrade caf". */
export const spokenName = (name) => name.replace(/_/g, ' ');

/** What the dialog says under the name field for what was typed. */
export function namePreview(raw) {
  const typed = raw.trim();
  if (!typed) return 'No name: the backup is known by its time and type.';
  const name = spokenName(filterBackupName(raw));
  if (!name) return 'Nothing of this name is kept: the backup gets no name.';
  return name === typed ? `Saved as “${name}”.` : `Saved as “${name}” (changed by the rule above).`;
}
