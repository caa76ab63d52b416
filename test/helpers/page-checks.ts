// What every page test checks of a page as it is now: axe-core's serious and critical findings, and how
// far the page scrolls sideways (with the elements that reach past the screen, for a failure's message);
// and that a job's progress words keep each part whole on one line.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Locator, Page } from 'playwright-core';

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's source, to be evaluated in the page. */
export const axeSource = (): Promise<string> => readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical findings on the page as it is now. */
export async function axeFindings(page: Page, source: string): Promise<string[]> {
  // Evaluated by the test's driver, not as a script tag: the page's content security policy allows no inline script.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(source);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

export const sidewaysScroll = (page: Page): Promise<number> => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

/** The visible elements that reach past the screen's right edge, for a failure's message. */
export const widest = (page: Page): Promise<string> =>
  page.evaluate(() =>
    [...document.querySelectorAll('body *')]
      .filter((node) => node.getBoundingClientRect().right > window.innerWidth + 0.5 && node.getClientRects().length > 0)
      .map((node) => `${node.tagName.toLowerCase()}${node.id ? `#${node.id}` : ''}.${[...node.classList].join('.')} (${Math.round(node.getBoundingClientRect().right)} px)`)
      .slice(0, 8)
      .join(', '),
  );

/**
 * The parts of the job row's progress words (job-row.js) that are split across lines or reach past the
 * screen of `width` pixels ([] when every part is whole on one line and on the screen), or 'no parts'.
 */
export const progressPartsSplit = (row: Locator, width: number): Promise<string[]> =>
  // Looked up inside the row in one step: a progress update replaces the row's cells, not the row.
  row.evaluate((tr, screen) => {
    const parts = [...tr.querySelectorAll<HTMLElement>('.job-progress .progress-part')];
    if (parts.length < 2) return ['no parts'];
    return parts.flatMap((part) => {
      const box = part.getBoundingClientRect();
      // One line of text is well under 1.6 times the font's size high; two are more.
      const oneLine = part.getClientRects().length === 1 && box.height < parseFloat(getComputedStyle(part).fontSize) * 1.6;
      return oneLine && box.left >= 0 && box.right <= screen ? [] : [`${part.textContent} (${Math.round(box.left)}-${Math.round(box.right)} px, ${Math.round(box.height)} px high)`];
    });
  }, width);
