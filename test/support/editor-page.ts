/**
 * The Node-RED editor page in Chromium for the editor tests: logging in through the editor's own login
 * dialog, and every error or warning toast the editor shows, recorded as it appears (a toast that fades
 * out before a check looks is still caught).
 */
import type { BrowserContext, Page } from 'playwright-core';
import { ROLE_PASSWORDS } from './hub-process';
import type { Role } from './hub-process';

export const EDITOR_TOASTS = '.red-ui-notification-error, .red-ui-notification-warning';

/** The toasts shown on the context's pages from now on ("<classes>: <text>"); empty the array to reset. */
export async function recordToasts(context: BrowserContext): Promise<string[]> {
  const toasts: string[] = [];
  await context.exposeFunction('fhToast', (text: string) => void toasts.push(text));
  await context.addInitScript((selector) => {
    new MutationObserver((records) => {
      for (const r of records) {
        for (const n of Array.from(r.addedNodes)) {
          if (n instanceof HTMLElement && n.matches(selector)) (globalThis as unknown as { fhToast(t: string): void }).fhToast(`${n.className}: ${n.textContent ?? ''}`);
        }
      }
    }).observe(document, { childList: true, subtree: true });
  }, EDITOR_TOASTS);
  return toasts;
}

type EditorWindow = { RED?: { user?: { logout(): void }; nodes?: { version?(): string | null } } };

/**
 * Logs in as `role` through the login dialog (logging out first if someone is logged in) and waits
 * until the editor has loaded the flows (`ready`, by default: the flows' revision is known).
 */
export async function editorLogin(page: Page, role: Role, ready: (page: Page) => Promise<unknown> = flowsLoaded): Promise<void> {
  if (!(await page.locator('#node-dialog-login-username').isVisible())) {
    await page.evaluate(() => (globalThis as unknown as EditorWindow).RED?.user?.logout());
  }
  await page.waitForSelector('#node-dialog-login-username');
  await page.fill('#node-dialog-login-username', role);
  await page.fill('#node-dialog-login-password', ROLE_PASSWORDS[role]);
  await page.click('#node-dialog-login-submit');
  await ready(page);
}

export function flowsLoaded(page: Page): Promise<unknown> {
  return page.waitForFunction(() => (globalThis as unknown as EditorWindow).RED?.nodes?.version?.() != null, undefined, { timeout: 60000 });
}
