"""Wrappers for agent frameworks. Each imports its framework only when called, so
``import agent_otp`` never needs LangChain or CrewAI installed."""
