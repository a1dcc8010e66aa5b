"""诚信积分制: ratings after completed shifts, and each employer's 红蓝黑 colour by a documented rule (docs/reputation.md)."""
