// The SDK example of the README, unchanged except for one line: `baseUrl`, so the example can
// reach a server on another port. The SDK itself reads no environment variables; the default
// stays http://localhost:8787.
// Run it: see examples/README.md.
import { AgentOTPClient } from '@orrisai/agent-otp-sdk';

const otp = new AgentOTPClient({
  apiKey: process.env.AGENT_OTP_KEY,
  baseUrl: process.env.AGENT_OTP_URL ?? 'http://localhost:8787', // the one added line
});
const permission = await otp.requestPermission({
  action: 'gmail.send',
  resource: 'email:client@example.com',
  scope: { max_emails: 1, subject_pattern: '^Invoice.*' },
  context: { reason: 'Sending monthly invoice to client' },
  waitForApproval: true,
  onPendingApproval: (info) => console.log(`Waiting for approval: ${info.approvalUrl}`),
});
if (permission.status === 'approved') {
  await sendEmail({ to: 'client@example.com', subject: 'Invoice #123', otpToken: permission.token });
  await otp.useToken(permission.id, permission.token);
}

// ---------------------------------------------------------------------------------------------
// Not part of the README's example: a stand-in for a real mail client, so it runs anywhere.

interface Email {
  to: string;
  subject: string;
  otpToken: string;
}

/** Pretends to send. A real one would pass `otpToken` to the mail service; never log it. */
async function sendEmail(email: Email): Promise<void> {
  console.log(`sendEmail: sent "${email.subject}" to ${email.to}`);
}
