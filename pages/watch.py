import streamlit as st

from app.kit import figures, widgets
from app.kit.state import Param, follow
from app.serving import training_queue
from model.training.toy import Task, ToySetup, probe_attention, train_toy

# The page's view in its link (app/kit/state.py): rooms, bookmarks and shared links reopen it.
PARAMS = {"task": Param("watch_task", str, ["reverse", "copy"]), "steps": Param("watch_steps", int)}
follow(PARAMS)
st.title("Watch attention form")
st.markdown(
    "A tiny transformer (1 layer, 2 heads, d_model 32) learns to **copy** or **reverse** a "
    "sequence of 8 random digits. Before training its cross-attention is nearly uniform; as "
    "it learns, each output position finds the input position it must read: the diagonal "
    "for copying, the anti-diagonal for reversing."
)
left, right = st.columns(2)
tasks: list[Task] = ["reverse", "copy"]
task = left.radio("Task", tasks, horizontal=True, key="watch_task") or "reverse"
steps = right.slider("Training steps", 50, 600, 300, step=50, key="watch_steps")
setup = ToySetup(task=task)

if st.button("Train", key="watch_train", type="primary"):
    progress = st.progress(0.0, text="Training…")
    chart_slot = st.empty()
    losses: list[float] = []

    def show(step: int, loss: float, model) -> None:
        losses.append(loss)
        if step % 25 and step != steps - 1:
            return
        progress.progress((step + 1) / steps, text=f"step {step + 1} of {steps}, loss {loss:.3f}")
        attention = probe_attention(model, setup)
        target, source = attention.axis_tokens("cross")  # (queries, keys)
        with chart_slot.container():
            widgets.chart(
                figures.attention_heatmap(
                    attention.mean_over_heads("cross", 0).numpy(),
                    target,
                    source,
                    title=f"Cross-attention after {step + 1} steps (mean of 2 heads)",
                    zmax=1.0,
                ),
                key=f"watch_attention_{step}",
            )

    st.button("Cancel", key="watch_cancel")  # any click on the page stops the run

    def waiting(place: int) -> None:
        progress.progress(0.0, text=f"One training at a time on this server: number {place}")

    with training_queue.turn(waiting):
        model, _ = train_toy(setup, steps, on_step=show)
    st.session_state["watch_losses"] = losses
    widgets.chart(figures.curves({"training loss": losses}, "step", title="Loss"), key="watch_loss")
else:
    st.caption("Press Train; it takes a few seconds on a laptop CPU.")
