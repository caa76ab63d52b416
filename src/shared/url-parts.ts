// Percent-decoding of the parts of a URL setting (user, password, database, path). A "%" that starts no
// escape ("p%ss", "%ZZ") makes decodeURIComponent throw a bare "URI malformed"; the settings report it
// as a configuration error instead, naming the part (never its text: it is usually the password).

/** The decoded text, or undefined when it holds a "%" not followed by two hex digits. */
export function decodeUrlPart(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** What to do about an invalid percent-escape in the `what` of a URL (e.g. "password"). */
export function percentEscapeAdvice(what: string): string {
  return `the ${what} holds a "%" that is not a percent-escape; percent-encode special characters in it (% is %25, @ is %40, : is %3A, / is %2F)`;
}
