import { CLINICAL_ALERTS_ROOT, everyDevice, NEWS2_ALERTS_ROOT, NEWS2_SCORES_ROOT, SECURITY_ALERTS_FILTER, TECHNICAL_ALERTS_ROOT } from '../contract/topics.ts'

/**
 * What the dashboard page subscribes to, sent to it with the layout (`/api/layout`): the browser
 * code imports no TypeScript, so the filters come from the topic contract here rather than being
 * written again in connection.js. QoS 1 where a lost message would leave the page wrong until the
 * next one (alarms, alerts, retained state); telemetry comes every second anyway.
 */
export const DASHBOARD_SUBSCRIPTIONS: Record<string, { qos: 0 | 1 }> = {
  [everyDevice('telemetry')]: { qos: 0 },
  [everyDevice('status')]: { qos: 1 },
  [everyDevice('event')]: { qos: 1 },
  [`${CLINICAL_ALERTS_ROOT}/#`]: { qos: 1 },
  [`${TECHNICAL_ALERTS_ROOT}/#`]: { qos: 1 },
  [`${NEWS2_ALERTS_ROOT}/#`]: { qos: 1 },
  [`${NEWS2_SCORES_ROOT}/#`]: { qos: 1 },
  [SECURITY_ALERTS_FILTER]: { qos: 1 },
}
