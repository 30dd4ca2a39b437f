namespace Parity.Engine.Tokenizer;

/// <summary>
/// One symbol of the merge chain (llama.cpp's <c>llm_symbol</c>): a byte range of the text and its neighbours in a
/// doubly linked list over the symbol array. A symbol merged into its left neighbour keeps its slot with length 0.
/// </summary>
internal struct SpmSymbol
{
    public int Start;
    public int Length;
    public int Prev;
    public int Next;
}
