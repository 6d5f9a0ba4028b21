# The Jupyter server configuration that `make lab` starts JupyterLab with (--config): notebooks
# are saved without outputs, so autosave never dirties the tracked notebooks (pmo_lib/lab.py).
c = get_config()  # noqa: F821 (given by Jupyter when it reads this file)

c.ContentsManager.pre_save_hook = "pmo_lib.lab.strip_outputs"
c.ContentsManager.post_save_hook = "pmo_lib.lab.keep_layout"

# The lab also serves a notebook as a Voila dashboard (/voila/render/…, the "Render with Voilà"
# button): its executor needs the kernel client that make dashboard gives it (voila.json), or a
# report's output widgets stall it (pmo_lib/dashboard.py).
c.AsyncKernelManager.client_class = "pmo_lib.dashboard.DashboardKernelClient"
