//! What a key can do: the `Action` enum. Its snake_case names are the names used in keymap files,
//! and each has a one-line description for the generated help.

use serde::{Deserialize, Serialize};

macro_rules! actions {
    ($( $variant:ident = $name:literal : $desc:literal ),* $(,)?) => {
        /// A user action. Bindable actions are unit variants named like the keymap entries;
        /// `Char` carries a typed character in text fields and menus (never bound by name).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Action {
            $(#[serde(rename = $name)] $variant,)*
            #[serde(skip)]
            Char(char),
        }

        impl Action {
            /// Every bindable action, in documentation order.
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];

            /// The keymap name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$variant => $name,)*
                    Action::Char(_) => "char",
                }
            }

            /// One line for the help screen.
            pub fn description(self) -> &'static str {
                match self {
                    $(Action::$variant => $desc,)*
                    Action::Char(_) => "typed character",
                }
            }

            /// The action with this keymap name.
            pub fn from_name(name: &str) -> Option<Action> {
                match name {
                    $($name => Some(Action::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

actions! {
    Noop = "noop": "nothing (unbinds a default key)",
    Quit = "quit": "quit (asks first while an export runs)",
    Back = "back": "close / leave the current mode",
    Help = "help": "show the key bindings",
    Redraw = "redraw": "redraw the screen",
    // Movement in lists (files, metadata, help, jobs).
    Down = "down": "next line / file",
    Up = "up": "previous line / file",
    Top = "top": "first line / file",
    Bottom = "bottom": "last line / file",
    HalfPageDown = "half_page_down": "half a page down",
    HalfPageUp = "half_page_up": "half a page up",
    // File list.
    MoveFileDown = "move_file_down": "move the file down in the exam order",
    MoveFileUp = "move_file_up": "move the file up in the exam order",
    ToggleMark = "toggle_mark": "mark / unmark the file",
    MarkAll = "mark_all": "mark all files (again: unmark all)",
    RemoveFile = "remove_file": "remove the file from the list",
    AddInputs = "add_inputs": "add files, folders or ZIPs (path prompt)",
    CopyTagsToMarked = "copy_tags_to_marked": "copy this file's tags to the marked files (then unmarks)",
    RepeatTags = "repeat_tags": "give this file the last picked tags, then go to the next file",
    NextProblem = "next_problem": "jump to the next blocked or untagged file",
    CycleProtocol = "cycle_protocol": "switch the preview protocol (halfblocks, sixel, kitty, iterm2)",
    Export = "export": "export to a ZIP (pseudonym, destination, confirm)",
    Metadata = "metadata": "show the attribute tree",
    Jobs = "jobs": "show export progress, results and log",
    // Frames.
    NextFrame = "next_frame": "next frame",
    PrevFrame = "prev_frame": "previous frame",
    NextFrame10 = "next_frame_10": "10 frames forward",
    PrevFrame10 = "prev_frame_10": "10 frames back",
    FirstFrame = "first_frame": "first frame",
    LastFrame = "last_frame": "last frame",
    PlayPause = "play_pause": "play / pause the cine at its frame rate",
    // Crop.
    CropMode = "crop_mode": "crop mode (sticky until esc)",
    CropNextEdge = "crop_next_edge": "next edge (left, top, right, bottom)",
    CropPrevEdge = "crop_prev_edge": "previous edge",
    CropLeft = "crop_left": "move the active edge left 1 px",
    CropRight = "crop_right": "move the active edge right 1 px",
    CropUp = "crop_up": "move the active edge up 1 px",
    CropDown = "crop_down": "move the active edge down 1 px",
    CropLeftBig = "crop_left_big": "move the active edge left 10 px",
    CropRightBig = "crop_right_big": "move the active edge right 10 px",
    CropUpBig = "crop_up_big": "move the active edge up 10 px",
    CropDownBig = "crop_down_big": "move the active edge down 10 px",
    CropEdit = "crop_edit": "type the numbers X0 Y0 X1 Y1",
    CropAuto = "crop_auto": "automatic crop (regions, else image content)",
    CropPreset = "crop_preset": "the device preset for this file",
    CropReset = "crop_reset": "undo edits (back to the applied crop)",
    CropApply = "crop_apply": "apply the crop to this file",
    CropApplySameGeometry = "crop_apply_same_geometry": "apply the crop to all files of the same size (asks)",
    CropSavePreset = "crop_save_preset": "save the crop as a device preset in settings.toml",
    CropClear = "crop_clear": "remove this file's crop",
    CropNextFile = "crop_next_file": "next file, staying in crop mode (an unapplied edit is dropped)",
    CropPrevFile = "crop_prev_file": "previous file, staying in crop mode",
    // Burned-in text (boxes found in the pixels) and the zoom on the crop.
    TextMask = "text_mask": "burned-in text: mask every box inside the crop on export, over the scan too (again: back to the setting)",
    TextKeep = "text_keep": "burned-in text: keep it in the export, Burned In Annotation YES (again: back to the setting)",
    TextNextBox = "text_next_box": "select the next text box inside the crop",
    TextExclude = "text_exclude": "shrink the crop so the selected text box is left out",
    Zoom = "zoom": "show only the crop area, larger, with the text boxes and polygons (again: whole frame)",
    // Annotation (status, per-frame grade, polygons).
    AnnotateMode = "annotate_mode": "annotation mode (status, grade, polygons; sticky until esc)",
    AnnotStatus = "annot_status": "cycle the file's status (e.g. DVT / NO DVT / none)",
    AnnotGradeClear = "annot_grade_clear": "clear this frame's grade (digits set it)",
    AnnotLeft = "annot_left": "move the vertex cursor left 1 px",
    AnnotRight = "annot_right": "move the vertex cursor right 1 px",
    AnnotUp = "annot_up": "move the vertex cursor up 1 px",
    AnnotDown = "annot_down": "move the vertex cursor down 1 px",
    AnnotLeftBig = "annot_left_big": "move the vertex cursor left 10 px",
    AnnotRightBig = "annot_right_big": "move the vertex cursor right 10 px",
    AnnotUpBig = "annot_up_big": "move the vertex cursor up 10 px",
    AnnotDownBig = "annot_down_big": "move the vertex cursor down 10 px",
    AnnotAddVertex = "annot_add_vertex": "add a vertex at the cursor",
    AnnotClose = "annot_close": "close the polygon (3 vertices or more)",
    AnnotUndo = "annot_undo": "remove the last vertex",
    AnnotCancel = "annot_cancel": "drop the polygon being drawn",
    AnnotNextPolygon = "annot_next_polygon": "select the next polygon of this frame",
    AnnotPrevPolygon = "annot_prev_polygon": "select the previous polygon of this frame",
    AnnotDelete = "annot_delete": "delete the selected polygon",
    AnnotClassMenu = "annot_class_menu": "pick the class (of the selected polygon, or of the next one)",
    AnnotCopyPrevious = "annot_copy_previous": "copy the previous frame's polygons to this frame",
    AnnotNextFile = "annot_next_file": "next file, staying in annotation mode",
    AnnotPrevFile = "annot_prev_file": "previous file, staying in annotation mode",
    // Text fields.
    FieldNext = "field_next": "next field",
    FieldPrev = "field_prev": "previous field",
    FieldDelete = "field_delete": "delete a character",
    FieldCommit = "field_commit": "accept the numbers",
    // Tags.
    TagMenu = "tag_menu": "tag menus (one key per value)",
    TagNextList = "tag_next_list": "next tag list",
    TagPrevList = "tag_prev_list": "previous tag list",
    TagClear = "tag_clear": "clear the value of this list",
    // Metadata.
    ToggleExpand = "toggle_expand": "fold / unfold a sequence",
    Search = "search": "search attributes",
    SearchNext = "search_next": "next match",
    SearchPrev = "search_prev": "previous match",
    CopyValue = "copy_value": "copy the value to the clipboard (OSC 52)",
    // Jobs.
    CancelExport = "cancel_export": "cancel the running export",
    // Confirm dialogs.
    ConfirmYes = "confirm_yes": "yes",
    ConfirmNo = "confirm_no": "no",
    // Prompts.
    PromptSubmit = "prompt_submit": "accept",
    PromptComplete = "prompt_complete": "complete the path",
    PromptDelete = "prompt_delete": "delete a character",
    PromptDeleteWord = "prompt_delete_word": "delete a word",
    PromptClear = "prompt_clear": "clear the line",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde() {
        for a in Action::ALL {
            let v = serde_json::to_value(a).unwrap();
            assert_eq!(v.as_str(), Some(a.name()), "{a:?}");
            let back: Action = serde_json::from_value(v).unwrap();
            assert_eq!(back, *a);
            assert_eq!(Action::from_name(a.name()), Some(*a));
        }
    }
}
