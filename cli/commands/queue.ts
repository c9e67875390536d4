// devenv queue: the actions are deploy/queue-actions.ts; this says their results.
import type { Group } from '../../deploy/queue.ts';
import type { QueueResult } from '../../deploy/queue-actions.ts';

function groupLine(group: Group, index: number): string {
  const riders = group.entries.map((e) => `${e.user} (${e.commit.slice(0, 10)})`).join(', ');
  return `  ${index === 0 ? 'head' : String(index + 1).padStart(4)}  ${group.train.padEnd(6)} ${riders}${group.groupId !== null ? '  [deploying]' : ''}`;
}

export function queueText(outcome: QueueResult): string {
  const { queue } = outcome;
  return [
    outcome.done,
    ...(queue.hold ? [`held by ${queue.hold.by}: ${queue.hold.reason}`] : []),
    ...(queue.running
      ? [`running: deploy #${queue.running.id} to ${queue.running.stage} (${queue.running.users.join(', ')})`]
      : []),
    ...queue.groups.map(groupLine),
    `page: ${outcome.page}`,
  ].join('\n');
}
