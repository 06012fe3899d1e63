"""Kept for the PII jobs until their settings are typed: see starcoder_jobs.ray_runtime."""

from starcoder_jobs.ray_runtime import init_ray, prepare_output

__all__ = ["init_ray", "prepare_output"]
