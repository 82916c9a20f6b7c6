/// <reference lib="dom" />
/**
 * Deploy for an account without flows.write. Node-RED 4.1 greys the Deploy button out (and ignores
 * pointer events on it) and its deploy action returns without a word, so Ctrl+D seems broken. Here the
 * button's group carries the reason as its tooltip, a click on it and the action (Ctrl+D, the action
 * list) show the reason as a notification.
 */
import { hubRed } from './red';

export const DEPLOY_ACTION = 'core:deploy-flows';

export function explainDeploy(reason: string): void {
  const RED = hubRed();
  if (RED.user.hasPermission('flows.write')) return;
  const group = document.querySelector<HTMLElement>('.red-ui-deploy-button-group');
  const button = document.getElementById('red-ui-header-button-deploy');
  // The button itself takes no pointer events when read-only: the group under it shows the tooltip.
  for (const element of [group, button]) element?.setAttribute('title', reason);
  group?.addEventListener('click', () => notify(reason));
  const original = RED.actions.get(DEPLOY_ACTION);
  RED.actions.remove(DEPLOY_ACTION);
  RED.actions.add(DEPLOY_ACTION, () => {
    if (RED.user.hasPermission('flows.write')) original?.();
    else notify(reason);
  });
}

function notify(reason: string): void {
  hubRed().notify(reason, { type: 'warning', timeout: 5000 });
}
