// The notebook widget (anywidget): the stepper front end on a widget model. The kernel
// owns the graph: a leaf change goes to it as `values`, the new scene comes back.
export default {
  render({ model, el }) {
    const current = () => Object.assign({}, model.get("scene"), { dot: model.get("dot") });
    const scene = current();
    if (scene.theme === "dark") el.classList.add("mp-dark");
    const stepper = micropropStepper.mount(el, scene, {
      Viz: MicropropViz,
      onLeaf: (values, quiz) => {
        if (quiz !== model.get("quiz")) model.set("quiz", quiz); // the kernel then sends its questions
        else model.set("values", values);
        model.save_changes();
      },
    });
    const onScene = () => stepper.update(current());
    const onError = () => stepper.showError(model.get("error"));
    model.on("change:scene", onScene);
    model.on("change:error", onError);
    return () => { model.off("change:scene", onScene); model.off("change:error", onError); };
  },
};
