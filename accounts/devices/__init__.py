"""Devices, the device command queue (pushbox), attached clients and Web Push notifications."""
