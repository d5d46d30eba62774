/** A saved conversation's address: the layout reads the id from it and loads the conversation. */
export default function SavedConversationPage() {
  return null;
}
