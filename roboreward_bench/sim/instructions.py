"""Instructions for each Meta-World task: several paraphrases, chosen per item.

Template 0 is the plain instruction; the others reword it. Items record the
template id (``paraphrase``) so a row says exactly which text it shows.
"""

from __future__ import annotations

import hashlib

PARAPHRASES: dict[str, tuple[str, ...]] = {
    "assembly-v3": ("Put the nut onto the peg.", "Pick up the ring-shaped nut and slide it down over the peg.",
                    "Grab the wrench by its handle and fit the nut on the peg."),
    "basketball-v3": ("Put the ball into the hoop.", "Dunk the basketball into the basket.",
                      "Pick up the ball and drop it through the hoop."),
    "bin-picking-v3": ("Move the block from one bin into the other bin.",
                       "Pick the cube out of its bin and place it in the second bin.",
                       "Transfer the block to the other bin."),
    "box-close-v3": ("Put the lid on the box.", "Close the box by placing its lid on top.",
                     "Grab the lid by its handle and cover the box with it."),
    "button-press-topdown-v3": ("Press the button from the top.", "Push the button down from above.",
                                "Press down on the top of the button."),
    "button-press-topdown-wall-v3": ("Press the button from the top, past the wall.",
                                     "Push the button down from above, reaching around the wall.",
                                     "Press down on the button that sits behind the wall."),
    "button-press-v3": ("Press the button.", "Push the button in.", "Press the button on the front of the box."),
    "button-press-wall-v3": ("Press the button behind the wall.", "Reach around the wall and push the button in.",
                             "Push in the button that is behind the small wall."),
    "coffee-button-v3": ("Press the button on the coffee machine.", "Push the coffee machine's button.",
                         "Start the coffee machine by pressing its button."),
    "coffee-pull-v3": ("Pull the mug out from under the coffee machine.",
                       "Slide the cup away from the coffee machine toward the robot.",
                       "Take the mug from under the spout and pull it back."),
    "coffee-push-v3": ("Push the mug under the coffee machine.", "Slide the cup under the coffee machine's spout.",
                       "Move the mug forward until it sits under the coffee machine."),
    "dial-turn-v3": ("Turn the dial.", "Rotate the dial a quarter turn.", "Twist the knob on the dial around."),
    "disassemble-v3": ("Take the nut off the peg.", "Remove the ring-shaped nut from the peg.",
                       "Grab the wrench and lift the nut up and off the peg."),
    "door-close-v3": ("Close the door.", "Push the door shut.", "Swing the door closed."),
    "door-lock-v3": ("Lock the door.", "Turn the door's lock to the locked position.",
                     "Rotate the lock knob on the door down to lock it."),
    "door-open-v3": ("Open the door.", "Pull the door open.", "Swing the door open by its handle."),
    "door-unlock-v3": ("Unlock the door.", "Turn the door's lock to the unlocked position.",
                       "Rotate the lock knob on the door to unlock it."),
    "drawer-close-v3": ("Close the drawer.", "Push the drawer shut.", "Slide the drawer all the way in."),
    "drawer-open-v3": ("Open the drawer.", "Pull the drawer open.", "Slide the drawer out by its handle."),
    "faucet-close-v3": ("Close the faucet.", "Turn the faucet handle to shut the water off.",
                        "Rotate the faucet handle back to the closed position."),
    "faucet-open-v3": ("Open the faucet.", "Turn the faucet handle to turn the water on.",
                       "Rotate the faucet handle to the open position."),
    "hammer-v3": ("Hammer the nail in.", "Pick up the hammer and drive the nail into the wall.",
                  "Use the hammer to knock the nail all the way in."),
    "hand-insert-v3": ("Put the block into the hole in the table.", "Push the block into the hole.",
                       "Move the block over the hole and drop it in."),
    "handle-press-side-v3": ("Press the handle down from the side.", "Push the side handle all the way down.",
                             "Press down on the handle, approaching it from the side."),
    "handle-press-v3": ("Press the handle down.", "Push the handle all the way down.",
                        "Press down on the handle."),
    "handle-pull-side-v3": ("Pull the handle up from the side.", "Lift the side handle all the way up.",
                            "Raise the handle, approaching it from the side."),
    "handle-pull-v3": ("Pull the handle up.", "Lift the handle all the way up.", "Raise the handle."),
    "lever-pull-v3": ("Pull the lever up.", "Raise the lever.", "Rotate the lever upward until it stands up."),
    "peg-insert-side-v3": ("Insert the peg into the hole from the side.", "Push the peg sideways into the hole.",
                           "Pick up the peg and slide it into the hole in the box."),
    "peg-unplug-side-v3": ("Unplug the peg from the side.", "Pull the peg out of the hole sideways.",
                           "Remove the peg from the box by pulling it out."),
    "pick-out-of-hole-v3": ("Pick the object up out of the hole.", "Lift the block out of the hole.",
                            "Grab the object in the hole and raise it to the goal."),
    "pick-place-v3": ("Pick up the puck and place it at the goal.", "Grasp the puck and move it to the goal point.",
                      "Lift the puck and put it where the goal marker is."),
    "pick-place-wall-v3": ("Pick up the puck and place it at the goal behind the wall.",
                           "Lift the puck over the wall and put it at the goal.",
                           "Grasp the puck and move it past the wall to the goal."),
    "plate-slide-back-side-v3": ("Slide the plate out of the cabinet sideways.",
                                 "Pull the plate sideways out of the cabinet.",
                                 "Get the plate out of the cabinet by sliding it to the side."),
    "plate-slide-back-v3": ("Slide the plate out of the cabinet.", "Pull the plate back out of the cabinet.",
                            "Get the plate out of the cabinet."),
    "plate-slide-side-v3": ("Slide the plate into the cabinet sideways.",
                            "Push the plate sideways into the cabinet.",
                            "Put the plate into the cabinet by sliding it from the side."),
    "plate-slide-v3": ("Slide the plate into the cabinet.", "Push the plate into the cabinet.",
                       "Put the plate into the cabinet by sliding it forward."),
    "push-back-v3": ("Pull the puck back to the goal.", "Drag the puck backward to the goal.",
                     "Move the puck back toward the robot until it reaches the goal."),
    "push-v3": ("Push the puck to the goal.", "Slide the puck along the table to the goal.",
                "Push the puck until it reaches the goal marker."),
    "push-wall-v3": ("Push the puck to the goal around the wall.", "Slide the puck past the wall to the goal.",
                     "Push the puck around the wall until it reaches the goal."),
    "reach-v3": ("Reach the goal with the gripper.", "Move the gripper to the goal point.",
                 "Put the robot's hand at the goal marker."),
    "reach-wall-v3": ("Reach the goal behind the wall.", "Move the gripper over the wall to the goal point.",
                      "Put the robot's hand at the goal marker past the wall."),
    "shelf-place-v3": ("Place the block on the shelf.", "Pick up the block and put it on the shelf.",
                       "Move the block onto the shelf."),
    "soccer-v3": ("Kick the ball into the goal.", "Push the soccer ball into the net.",
                  "Get the ball into the goal."),
    "stick-pull-v3": ("Use the stick to pull the container.", "Grab the stick and drag the box with it.",
                      "Hook the container with the stick and pull it back."),
    "stick-push-v3": ("Use the stick to push the container.", "Grab the stick and push the box with it.",
                      "Push the container forward with the stick."),
    "sweep-into-v3": ("Sweep the puck into the hole.", "Push the puck into the hole in the table.",
                      "Slide the puck along the table into the hole."),
    "sweep-v3": ("Sweep the puck off the table.", "Push the puck off the edge of the table.",
                 "Slide the puck off the side of the table."),
    "window-close-v3": ("Close the window.", "Slide the window shut.", "Push the window closed."),
    "window-open-v3": ("Open the window.", "Slide the window open.", "Push the window open sideways."),
}


def paraphrase_id(key: str, task: str) -> int:
    """A template id for ``task`` chosen by a stable hash of ``key`` (an item id)."""
    digest = hashlib.sha256(f"{key}|{task}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % len(PARAPHRASES[task])


def instruction_text(task: str, template: int) -> str:
    """The instruction of ``task`` in paraphrase ``template``."""
    return PARAPHRASES[task][template]
