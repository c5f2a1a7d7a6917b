"""Loopback fakes of the platforms Homepost posts to, each following its documented API and able to fail on cue."""
