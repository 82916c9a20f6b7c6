/**
 * The browser of the page tests: Debian's Chromium, headless, driven by playwright-core. Given a started
 * hub, it trusts exactly that hub's certificate (hub.browserArgs); without one it trusts no self-signed
 * certificate at all.
 */
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import type { HubProcess } from './hub-process';

export function launchBrowser(hub?: Pick<HubProcess, 'browserArgs'>): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', ...(hub ? hub.browserArgs() : [])] });
}
