// Placeholder translation unit until the agent core lands.
