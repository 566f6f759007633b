/** climate-provisioner: acts on hosts (power-on, pre-staging...) when Climate's notifications say so. */
import type { Logger } from '../common';
import type { ClimateConfig } from '../config';
import { Provisioner } from './provisioner';

export { Provisioner, type ProvisionerOptions, type HandledEvent, type HostOutcome } from './provisioner';
export { parseCommandTemplate, renderCommand, TemplateError, type CommandTemplate } from './template';
export { runCommand, type CommandResult } from './run-command';
export { parseNotificationBody, hostsOf, templateValues, BEFORE_START_EVENT, END_EVENT } from './notification';

/** The provisioner the `[provisioner]` section describes (its transport_url defaults to [notifications]'). */
export function provisionerFromConfig(config: ClimateConfig, logger: Logger): Provisioner {
  const p = config.provisioner;
  const transportUrl = p.transportUrl || config.notifications.transportUrl;
  if (!transportUrl) {
    throw new Error('[provisioner] transport_url is empty (and so is [notifications] transport_url): set it to stomp://user:password@host:61613/');
  }
  return new Provisioner({
    transportUrl, exchange: p.exchange, topic: p.topic, queue: p.queue, onBeforeStart: p.onBeforeStart, onEnd: p.onEnd,
    concurrency: p.concurrency, timeoutMs: p.timeoutMs, retries: p.retries, logger,
  });
}
