// A view renders into an element; `refresh` (after the database changed) and `dispose` are optional.
export interface RenderedView {
  element: HTMLElement;
  refresh?(): Promise<void>;
  dispose?(): void;
}

export interface View {
  title: string;
  /** `args`: the route's parts after the view's name (`#/run/12` → ['12']). */
  render(args: string[]): Promise<RenderedView>;
}
