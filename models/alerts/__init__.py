"""Alert maths (pure): hourly baselines, count tails, spike detection, episode lifecycle."""
