// Debian's Chromium for the page tests, driven by playwright-core (/usr/bin/chromium, or
// LIFEBOAT_TEST_CHROMIUM). A test fails, never skips, without it. Screenshots go to test-results/.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

const CHROMIUM = process.env.LIFEBOAT_TEST_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Where screenshots go, for a person to look at. */
export const ARTIFACTS = path.resolve('test-results');

/** Polls waiting for an answer that checked a password: each scrypt hash takes about 0.4 s, more on a busy machine. */
export const AFTER_PASSWORD_CHECK = { timeout: 10_000 };

export async function launchChromium(): Promise<Browser> {
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/** Fills in and sends the page's sign-in form. */
export async function signInOnPage(page: Page, username: string, password: string): Promise<void> {
  const form = page.getByRole('form', { name: 'Sign in' });
  await form.getByLabel('Username').fill(username);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Sign in' }).click();
}

/** Opens the page at `base`, signs in and waits for the Backups view. */
export async function openSignedIn(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/`);
  await signInOnPage(page, username, password);
  await expect.poll(() => page.getByRole('heading', { name: 'Backups' }).isVisible(), AFTER_PASSWORD_CHECK).toBe(true);
}
