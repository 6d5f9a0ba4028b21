# The Jupyter server configuration that `make lab` starts JupyterLab with (--config): notebooks
# are saved without outputs, so autosave never dirties the tracked notebooks (pmo_lib/lab.py).
c = get_config()  # noqa: F821 (given by Jupyter when it reads this file)

c.ContentsManager.pre_save_hook = "pmo_lib.lab.strip_outputs"
c.ContentsManager.post_save_hook = "pmo_lib.lab.keep_layout"
