/** A dashboard user's linked Slack account: clicks by `slackUserId` decide as `userId`. */
export interface SlackLink {
  userId: string;
  slackUserId: string;
  createdAt: number;
}

/** An approval message sent to a linked approver, kept to update it with the outcome. */
export interface SlackMessage {
  permissionId: string;
  slackUserId: string;
  channel: string;
  ts: string;
  createdAt: number;
}
