// Debian's Chromium driven by playwright-core: shared by the browser tests and the README's screenshots
// (tools/screenshots.ts). Nothing is downloaded: a missing browser is an error that says how to install it.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** The viewport every page is opened with: screenshots are this wide. */
export const VIEWPORT = { width: 1100, height: 700 };

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: install it with \`apt-get install chromium\` (the dashboard's browser tests and screenshots drive it; no browser is downloaded)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Waits for the page's view to finish rendering (the app clears main's aria-busy). */
export const viewRendered = (page: Page) => page.waitForSelector('main[aria-busy="false"]');

/** A PNG of the region from the top of `from` to the bottom of `to`, at most `maxHeight` tall (kept small: tens of KB). */
export async function screenshotRegion(page: Page, file: string, from: string, to = from, maxHeight = 1000): Promise<void> {
  const [top, bottom] = [(await page.locator(from).first().boundingBox())!, (await page.locator(to).first().boundingBox())!];
  const height = Math.min(maxHeight, bottom.y + bottom.height - top.y);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true, clip: { x: 0, y: top.y, width: VIEWPORT.width, height } });
}
