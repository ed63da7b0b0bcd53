"""The README's SDK example in Python: the same flow as examples/readme-example.ts.

Run it against a local server (`npm start`) with an agent key:

    AGENT_OTP_KEY=ak_... PYTHONPATH=sdks/python python3 examples/readme_example.py
"""

from agent_otp import AgentOTPClient

otp = AgentOTPClient()  # api_key from AGENT_OTP_KEY; base_url from AGENT_OTP_URL or http://localhost:8787


def send_email(to: str, subject: str, otp_token: str) -> None:
    """A stand-in for a real mail client. A real one would pass otp_token on; never log it."""
    print(f'send_email: sent "{subject}" to {to}')


# Request permission with automatic waiting for approval
permission = otp.request_permission(
    "gmail.send",
    resource="email:client@example.com",
    scope={"max_emails": 1, "subject_pattern": "^Invoice.*"},
    context={"reason": "Sending monthly invoice to client"},
    wait_for_approval=True,
    on_pending_approval=lambda info: print(f"Waiting for approval: {info.approval_url}", flush=True),
)
if permission.status == "approved":
    # Use the token for your protected operation
    send_email(to="client@example.com", subject="Invoice #123", otp_token=permission.token)
    # Mark token as used
    otp.use_token(permission.id, permission.token, {"subject": "Invoice #123"})
else:
    print(f"not granted: {permission.status} ({permission.reason})")
