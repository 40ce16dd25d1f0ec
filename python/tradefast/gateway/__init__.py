"""The WebSocket gateway: a read-only view of the pipeline for browsers.

It consumes the three stage topics without committing, keeps the latest version of recent
inquiries and every position, and pushes conflated binary `InquiryBatch` frames to its clients.
"""
